"""The labeling loop: :mod:`.suggest` picks the segments worth labeling next, :mod:`.annotate` labels them
in the browser."""
