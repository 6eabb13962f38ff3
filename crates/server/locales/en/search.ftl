# Messages of global search: the results page and the instant results.

search-title = Search
search-submit = Search
search-all = Everything
search-kinds = Kinds of records
search-hint = Search names, emails, phone numbers in any format, company domains, deal names and notes.
search-none = Nothing matches “{ $q }”.
search-create-person = Create a person
search-matched = matched on { $field }
search-too-long = The search is too long: at most 200 characters.
search-results = Instant results
search-see-all = See all results
