// Enhancements of the calendar pages: none needed; links and the date form
// do everything. (A date picker that submits itself would fire while a year
// is still being typed.)
