// Enhancements of the calendar pages.
