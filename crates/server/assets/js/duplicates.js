// Enhancements of the duplicate review and merge pages.
