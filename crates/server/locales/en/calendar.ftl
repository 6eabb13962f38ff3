# Messages of the calendar pages.
