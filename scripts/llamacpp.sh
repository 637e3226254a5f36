#!/usr/bin/env bash
# Install the llama.cpp engine into a venv: llama-cpp-python built from its source (PyPI ships no Linux wheel), and
# llama.cpp's HF→GGUF converter from the same source, which the trainer writes each version's GGUF with.
# Usage: scripts/llamacpp.sh PYTHON              build (or reuse) the wheel and install it with the converter
#        scripts/llamacpp.sh PYTHON --wheel-to DIR copy the wheel and its source into DIR (the images' wheelhouse)
#
# The build takes minutes, so the wheel is kept in a cache and reused while it matches: the same source (sha256),
# Python and build flags — and, for the default native build, this CPU's instruction-set flags, since such a wheel
# may not run on another CPU. Settings (environment):
#   LLAMACPP_CACHE        where built wheels are kept (default ~/.cache/ci-resolver/llama-cpp)
#   LLAMACPP_CMAKE_ARGS   extra CMake options, e.g. "-DGGML_NATIVE=OFF -DGGML_AVX2=ON" for a wheel any AVX2 CPU runs
#   WHEELHOUSE            a folder holding the source archive (air-gapped machines); else it is fetched from PyPI
set -euo pipefail

PY=${1:?usage: scripts/llamacpp.sh PYTHON [--wheel-to DIR]}
WHEEL_TO=""
[ "${2:-}" = "--wheel-to" ] && WHEEL_TO=${3:?--wheel-to needs a folder}
VERSION=0.3.36
SDIST=llama_cpp_python-$VERSION.tar.gz
CACHE=${LLAMACPP_CACHE:-$HOME/.cache/ci-resolver/llama-cpp}
WHEELHOUSE=${WHEELHOUSE:-wheelhouse}
# Only the library: no tests, tools, server or multimodal helper (they would double the build time). ggml's own
# thread pool instead of OpenMP: the services run with OMP_WAIT_POLICY=PASSIVE for torch, which would put OpenMP
# threads to sleep between every one of llama.cpp's hundreds of operations per token.
BASE_CMAKE_ARGS="-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
-DLLAMA_BUILD_SERVER=OFF -DLLAMA_OPENSSL=OFF -DGGML_OPENMP=OFF"
CMAKE_ARGS="$BASE_CMAKE_ARGS ${LLAMACPP_CMAKE_ARGS:-}"
CONVERTER_HOME=$("$PY" -c 'import sys; print(sys.prefix)')/share/ci-resolver/llama.cpp

say() { echo "llamacpp: $*" >&2; }

for tool in cmake g++; do
  command -v "$tool" >/dev/null || { say "$tool is missing: install it (Debian: cmake g++) to build llama.cpp"; exit 1; }
done

mkdir -p "$CACHE"
sdist="$WHEELHOUSE/$SDIST"
if [ ! -f "$sdist" ]; then
  sdist="$CACHE/$SDIST"
  [ -f "$sdist" ] || "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    "llama-cpp-python==$VERSION" -d "$CACHE"
fi

native_flags=""
if [[ "$CMAKE_ARGS" != *"GGML_NATIVE=OFF"* ]]; then
  native_flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|fma|f16c|amx|sse|bmi)' | sort | tr '\n' ' ')
fi
python_tag=$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
key=$(printf '%s\n' "$(sha256sum "$sdist" | cut -d' ' -f1)" "$python_tag" "$CMAKE_ARGS" "$native_flags" \
  | sha256sum | cut -c1-16)
wheel_dir="$CACHE/$key"
if [ -z "$WHEEL_TO" ] && [ "$(cat "$CONVERTER_HOME/.wheel-key" 2>/dev/null)" = "$key" ] && "$PY" -c 'import llama_cpp' 2>/dev/null; then
  exit 0  # installed from this very wheel already
fi

if ! compgen -G "$wheel_dir/llama_cpp_python-$VERSION-*.whl" >/dev/null; then
  say "building llama-cpp-python $VERSION from source (minutes, once per CPU kind; cached in $wheel_dir)"
  started=$(date +%s)
  rm -rf "$wheel_dir.partial" && mkdir -p "$wheel_dir.partial"
  CMAKE_ARGS="$CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
    "$PY" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$wheel_dir.partial" "$sdist"
  rm -rf "$wheel_dir" && mv "$wheel_dir.partial" "$wheel_dir"
  say "built in $(( $(date +%s) - started )) s"
fi
if [ -n "$WHEEL_TO" ]; then
  mkdir -p "$WHEEL_TO" && cp "$wheel_dir"/llama_cpp_python-*.whl "$WHEEL_TO"/
  [ "$sdist" -ef "$WHEEL_TO/$SDIST" ] || cp "$sdist" "$WHEEL_TO"/  # the images take the converter from it
  say "wheel and source in $WHEEL_TO"
  exit 0
fi
"$PY" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$wheel_dir"/llama_cpp_python-*.whl
# What it imports at run time (numpy, diskcache, jinja2) and the converter's sentencepiece are in requirements.txt.

rm -rf "$CONVERTER_HOME.partial" && mkdir -p "$CONVERTER_HOME.partial"
tar -xzf "$sdist" -C "$CONVERTER_HOME.partial" --strip-components=3 \
  "llama_cpp_python-$VERSION/vendor/llama.cpp/convert_hf_to_gguf.py" \
  "llama_cpp_python-$VERSION/vendor/llama.cpp/conversion" \
  "llama_cpp_python-$VERSION/vendor/llama.cpp/gguf-py"
echo "$key" > "$CONVERTER_HOME.partial/.wheel-key"
rm -rf "$CONVERTER_HOME" && mv "$CONVERTER_HOME.partial" "$CONVERTER_HOME"
"$PY" -c 'import llama_cpp; print(f"llamacpp: llama-cpp-python {llama_cpp.__version__} ready")' >&2
