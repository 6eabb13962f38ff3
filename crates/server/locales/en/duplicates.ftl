# Messages of the duplicate review and merge pages.
