#!/bin/sh
# serve_command for tests: serve the "artifact" of trainer_external.sh with
# fake_llm.py on the given port.
# usage: trainer_serve_candidate.sh ARTIFACT PORT
exec python3 "$(dirname "$0")/fake_llm.py" --port "$2" --script "$1/script.json"
