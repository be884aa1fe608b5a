"""Score a model on labeled files: ``python training/evaluate_model.py --model URI data/annotations/x.jsonl``.

A thin shell over ``nkdiplomacy evaluate`` (the training protocol's metrics).
"""

import sys

if __name__ == "__main__":
    from nkdiplomacy.cli import main

    sys.exit(main(["evaluate", *sys.argv[1:]]))
