// Enhancements of the import pages.
