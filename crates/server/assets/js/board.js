// Enhancements of the board pages.
