# Messages of the records pages.
