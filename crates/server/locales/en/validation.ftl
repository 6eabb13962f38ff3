## Why a value was refused: one message per code the domain and the store
## give a field at fault (`validation-{code}`, `_` written `-`). A message for
## one field (`validation-{code}-{field}`) or for an error that carries values
## (`validation-{code}-with-{names}`) comes first when there is one.
## Each is a whole sentence: it stands next to its field, or after the field's
## label in `validation-field`.

# A refused value after the label of its field.
validation-field = { $field }: { $message }

validation-required = This field is required.

validation-invalid = This value is not valid.
validation-invalid-with-values = Choose one of: { $values }.
validation-invalid-email = Enter an email address, such as name@example.com.
validation-invalid-address = Enter an email address, such as name@example.com.
validation-invalid-number = Enter a phone number, such as +33 1 23 45 67 89.
validation-invalid-url = Enter a web address that starts with http:// or https://.
validation-invalid-key = Use lower-case letters, digits and _, starting with a letter.
validation-invalid-pattern = This is not a regular expression that can be used.
validation-invalid-password = The password must not be your email address.
validation-invalid-current-password = The current password is not right.
validation-invalid-currency = Give an ISO 4217 currency code, such as EUR or USD.
validation-invalid-phone-region = Give a two-letter region code, such as FR or US.
validation-invalid-cursor = This page of results has expired; start from the first page.
validation-invalid-until = The repetition cannot end before the due date.

validation-invalid-type = This value is not of the right kind.

validation-out-of-range = This value is out of range.
validation-out-of-range-with-min-max = Enter a number from { $min } to { $max }.

validation-too-long = This is too long.
validation-too-long-with-max = Use at most { $max } characters.

validation-too-short = This is too short.
validation-too-short-with-min = Use at least { $min } characters.

validation-taken = This is already in use.
validation-taken-email = A user with this email address exists already.
validation-taken-external-id = Another record has this external id.

validation-not-found = This refers to something that does not exist, or that you may not see.

validation-read-only = This cannot be changed.

validation-conflict = This does not fit with another value given.
validation-conflict-assignee-team-id = A task is assigned to a person or to a team, not both.
validation-conflict-status = The stage chosen means another status.

validation-unknown-field = There is no such field here.

validation-unknown-operator = This is not a way to filter that exists.

validation-unsupported-operator = This field cannot be filtered this way.

## What a custom field expects, when a value typed into it was refused (the
## refusal says only `invalid`; the field's definition says what fits).

validation-custom-text-max = Use at most { $max } characters.
validation-custom-pattern = Enter a value in the form this field asks for.
validation-custom-number = Enter a number.
validation-custom-percent = Enter a percentage, such as 12.5.
validation-custom-money = Enter an amount, such as 1250 or 1250.50.
validation-custom-rating = Choose a whole number from 1 to { $max }.
validation-custom-date = Enter a date.
validation-custom-datetime = Enter a date and a time.
validation-custom-boolean = Choose yes or no.
validation-custom-select = Choose one of: { $values }.
validation-custom-relation = Choose a record that exists.
validation-custom-between = Enter a value from { $min } to { $max }.
validation-custom-at-least = Enter a value of at least { $min }.
validation-custom-at-most = Enter a value of at most { $max }.
