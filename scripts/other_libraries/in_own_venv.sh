#!/usr/bin/env bash
# Runs a recipe of docs/guides/other-libraries.md in a venv of its own, for the libraries whose
# pins conflict with requirements-dev.lock: pip installs REQUIREMENT... and this checkout (torch
# held to constraints.txt's version, as the lock holds it), checks the result with pip check, then
# runs RECIPE (which prints the versions it ran with).
#   in_own_venv.sh RECIPE VENV_DIR REQUIREMENT...
# An empty VENV_DIR means a temporary directory, removed at the end; a given one is made if it is
# missing and reused (with the requirements re-checked) if it is not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
recipe=$1
venv=$2
shift 2
if [ -z "$venv" ]; then
    venv=$(mktemp -d -t rl_envs_recipe.XXXXXX)
    trap 'rm -rf "$venv"' EXIT
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
start=$SECONDS
"$venv/bin/pip" install --quiet --disable-pip-version-check -c "$root/constraints.txt" "$@" "$root"
"$venv/bin/pip" check --disable-pip-version-check
echo "venv: $venv (installed in $((SECONDS - start)) s)"
# Outside the checkout, so that the recipe imports the rl_envs installed in the venv.
cd "$venv"
start=$SECONDS
"$venv/bin/python" "$here/$recipe"
echo "recipe: $((SECONDS - start)) s"
