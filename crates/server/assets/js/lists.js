// Enhancements of the lists pages.
