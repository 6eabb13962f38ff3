// Enhancements of the automation settings pages.
