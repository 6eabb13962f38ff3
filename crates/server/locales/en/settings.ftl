# Messages of the settings pages.
