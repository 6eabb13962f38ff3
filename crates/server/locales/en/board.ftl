# Messages of the board pages.
