"""Settings of deploy (make deploy)."""

from __future__ import annotations

from pydantic import Field

from resolver_core.settings.common import CommonSettings


class DeploySettings(CommonSettings):
    """Deploy (make deploy VERSION=...)."""

    deploy_target: str = Field(
        "vm2/models", description="Where make deploy copies versions: a local folder or user@host:/path."
    )
    deploy_ssh_options: str = Field("", description="Extra ssh options for rsync -e ssh, e.g. '-p 2222 -i key'.")
