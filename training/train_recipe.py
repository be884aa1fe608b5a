"""Train from a recipe: ``python training/train_recipe.py --config configs/tfidf.yaml [--set KEY=VALUE] [--save-model DIR]``.

A thin shell over ``nkdiplomacy train`` for the MLproject entry point. Data paths in a recipe are
relative to the recipe's folder, so the script runs from any folder.
"""

import sys

if __name__ == "__main__":
    from nkdiplomacy.cli import main

    sys.exit(main(["train", *sys.argv[1:]]))
