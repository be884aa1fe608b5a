#!/usr/bin/env bash
# A snapshot of what the package does, to compare two checkouts (e.g. before and after a refactoring):
# the shipped default model's predictions on every real page, and a seeded tfidf training run (3 folds)
# with its metrics and its final model's predictions. Run it in each checkout, then diff the folders.
#
#   benchmarks/behaviour_snapshot.sh /tmp/before      # in the old checkout
#   benchmarks/behaviour_snapshot.sh /tmp/after       # in the new one
#   diff /tmp/before/metrics.json /tmp/after/metrics.json && cmp /tmp/before/default_predict.jsonl ...
#
# Needs the [train] extra; about 10 minutes on 2 cores. model_size_mb moves when the manifest gains fields.
set -euo pipefail
out=$(realpath -m "${1:?usage: $0 OUT_FOLDER}")
cd "$(dirname "$0")/.."
py=${PYTHON:-python}
rm -rf "$out" && mkdir -p "$out"
pages=(data/raw/real/kcna/*.txt data/raw/real/western/*.txt)
"$py" -m nkdiplomacy.cli predict --format jsonl "${pages[@]}" > "$out/default_predict.jsonl"
MLFLOW_TRACKING_URI="sqlite:///$out/mlflow.db" "$py" -m nkdiplomacy.cli train --config configs/tfidf.yaml \
    --set max_folds=3 --save-model "$out/tfidf_model" > "$out/train.out" 2>&1
"$py" -m nkdiplomacy.cli predict --model "$out/tfidf_model" --format jsonl "${pages[@]}" > "$out/tfidf_predict.jsonl"
"$py" - "$out" <<'PY' > "$out/metrics.json"
import json, sqlite3, sys
db = sqlite3.connect(f"{sys.argv[1]}/mlflow.db")
rows = db.execute(
    "select r.name, m.key, m.value from metrics m join runs r on r.run_uuid = m.run_uuid "
    "where m.key not like '%seconds%' order by r.name, m.key"
).fetchall()
print(json.dumps([list(r) for r in rows], indent=0))
PY
sha256sum "$out"/*.jsonl "$out/metrics.json"
