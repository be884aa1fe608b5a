"""Train from a recipe: ``python training/train.py --config configs/tfidf.yaml [--set KEY=VALUE] [--save-model DIR]``.

A thin shell over ``nkdiplomacy train`` for the MLproject entry point. Paths in
recipes are relative to the repository root, so the script runs from there.
"""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parents[1])
    from nkdiplomacy.cli import main

    sys.exit(main(["train", *sys.argv[1:]]))
