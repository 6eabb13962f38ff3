# Messages of the duplicate review and merge pages.
duplicates-title = Likely duplicates
duplicates-kinds = Which records
duplicates-people = People
duplicates-organizations = Organizations
duplicates-none = No likely duplicates were found. Records that share an email, a phone or a name would show up here.
duplicates-back-list = Back to the list
duplicates-count = { $count ->
    [one] One group of records looks like the same customer.
   *[other] { $count } groups of records look like the same customer.
}
duplicates-score = { $score }% alike
duplicates-reasons = Why they look alike
duplicates-reason-email = Same email { $value }
duplicates-reason-phone = Same phone { $value }
duplicates-reason-domain = Same web domain { $value }
duplicates-reason-name-domain = Similar name with the same email domain { $value }
duplicates-reason-name-organization = Similar name at the same organization
duplicates-reason-same-name = Same name
duplicates-reason-similar-name = Similar name
duplicates-unnamed = (no name)
duplicates-review = Review and merge
duplicates-not-allowed = Your role may look at records but not merge them.
duplicates-merge-title = Merge records
duplicates-back = Back to the duplicates
duplicates-survivor = Which record stays
duplicates-survivor-hint = The other records are merged into this one; their addresses lead to it afterwards.
duplicates-open = Open
duplicates-fields = Values that differ: choose the one to keep
duplicates-no-differences = The records hold the same values; nothing to choose.
duplicates-empty-value = (empty)
duplicates-yes = Yes
duplicates-no = No
duplicates-kept = Kept from all the records
duplicates-kept-related = Every activity, task, deal and email of each record.
duplicates-kept-lists = All their emails, phones, tags, domains and addresses, together.
duplicates-kept-history = The history of each record, and a line saying they were merged.
duplicates-kept-redirect = Links to a merged record lead to the one that stays.
duplicates-merge = Merge
duplicates-find = Find duplicates
duplicates-merged = The records were merged into this one. Everything from both is here.
