// Enhancements of the settings pages.
