"""Article text: segmenting lines, reading article files (text and HTML), each line's context."""
