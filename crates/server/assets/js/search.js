// Enhancements of the search pages.
