// Enhancements of the records pages.
