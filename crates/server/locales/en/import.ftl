# Messages of the import pages.
