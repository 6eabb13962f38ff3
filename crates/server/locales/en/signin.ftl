# Messages of the pages before and around sign-in: signing in, the first
# setup, password resets, choosing a workspace, and the generic message pages.

signin-title = Sign in
signin-email = Email
signin-password = Password
signin-submit = Sign in
signin-forgot = Forgot your password? An administrator can give you a reset link with
signin-refused = The email or password is not right.
signin-missing = Enter your email and your password.
signin-email-locked = Too many failed sign-ins for this email address: it is locked for { $minutes } minutes, until { $until }. An administrator can send you a password reset link meanwhile.
signin-address-blocked = Too many failed sign-ins from your network address: sign-ins from it are paused for { $minutes } minutes, until { $until }.

setup-title = Set up Rapport
setup-intro = Create the first account of { $workspace }. It will be an administrator, able to invite everyone else. This link works once.
setup-name = Your name
setup-email = Email
setup-password = Password
setup-password-hint = (at least { $count } characters)
setup-password-again = Password again
setup-submit = Create the account and sign in
setup-link-broken = This setup link does not work
setup-link-broken-text = It has been used already, has expired, or was mistyped; or the workspace already has users. Sign in, or restart the server while the workspace has no users for a new link.
setup-need-name = Name: enter your name.
setup-need-email = Email: enter the email you will sign in with.
setup-passwords-differ = Password: the two passwords differ.
field-label-password = Password
field-label-email = Email
field-label-name = Name

reset-title = Choose a new password
reset-intro = For { $email }. Once it is set, you are signed in here and signed out everywhere else. This link works once.
reset-password = New password
reset-password-hint = (at least { $count } characters, not your email)
reset-password-again = New password again
reset-submit = Set the password
reset-link-broken = This reset link does not work
reset-link-broken-text = It has been used already, has expired (links work for an hour), or was mistyped. Ask an administrator for a new one: rapport user reset-password --email you@example.com

workspaces-title = Choose a workspace
workspaces-intro = Your email and password open several workspaces. Which one do you want to work in?
workspaces-as = as { $name }, { $role }
workspaces-current = current
workspaces-open = Open
workspaces-pick = Pick one of the workspaces listed.
workspaces-sign-in-again = Sign in again
workspaces-cannot-open = This session cannot open that workspace (its password may have changed). Sign in to it with its own password.

page-back-start = Back to the start page
page-not-found = Page not found
page-not-found-text = There is no page at this address. The link may be mistyped, or the page may have moved.
page-back-home = Go to the home page
page-back-account = Back to your account
page-form-unreadable = The form could not be read
page-form-unreadable-text = Send the form from its page again.
page-form-expired = The form has expired
page-form-expired-text = This form was not sent from a page Rapport just showed you, or the page is too old. Go back, reload the page and send the form again.
page-not-allowed = Not allowed
page-not-found = Not found
page-not-found-text = There is nothing here.
page-invalid = This could not be saved
page-conflict = This cannot be done as things stand
page-stale = This changed in the meantime
page-stale-text = Someone saved a change to this record after you opened it. Open it again to see the change, then make yours.
page-went-wrong = Something went wrong
page-went-wrong-text = Something went wrong on our side; it was logged. Try again in a moment.
