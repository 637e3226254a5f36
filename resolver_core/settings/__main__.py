"""python -m resolver_core.settings: print .env.example."""

from resolver_core.settings.env_example import render_env_example

print(render_env_example(), end="")
