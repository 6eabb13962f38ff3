# Messages of the search pages.
