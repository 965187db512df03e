# English words of the member pages, emails and texts (Fluent, https://projectfluent.org).
# A deployment may override any message in <static_dir>/locales/en/common.ftl.
# Ids ending in -html may hold markup; their arguments are escaped.

## Every page

skip-to-main = Skip to main content
# The link to the other language, written in that language.
lang-switch-label = Español
support-heading = Need help?
support-contact = Contact { $brand } Support:
support-email-label = Email
support-phone-label = Phone
support-hours-label = Hours

## Next steps on message pages

sign-in-again = Sign in again
try-again = Try again
start-again = Start again
back-to-sign-in = Back to the sign-in page
go-to-sign-in = Go to the sign-in page
go-to-website = Go to the website
update-roster = Update your roster information

## Message pages

expired-title = Please sign in again
expired-text = Your sign-in took too long, so we stopped it to keep your account safe. Please sign in again.
cancelled-again-title = Sign-in cancelled
cancelled-again-text = This sign-in was cancelled, so you are not signed in. Please sign in again.
locked-title = MFA is locked
locked-text = There were too many wrong codes, so we locked MFA for this account to keep it safe.
locked-details = Please contact support (details below). They will confirm it is you and unlock your account.
exhausted-title = Too many incorrect codes
exhausted-text = For your security this sign-in has been stopped. Please sign in again with your username and password.
slow-down-title = Please wait a moment
slow-down-text = There were several wrong codes in a row. Please wait { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    }, then try again.
fail-closed-title = We can't verify your sign-in right now
fail-closed-text = Nobody can get in without verification, so please try again in a few minutes or contact support.
upstream-down-title = The website is not answering
upstream-down-text = The website is not answering right now. Please try again in a few minutes.
bad-request-title = Something was missing
bad-request-text = We could not understand that request. Please go back and try again.
unreadable-title = We couldn't complete your sign-in
unreadable-text = Please go back to the sign-in page and try again.
too-large-title = That was too much to send
too-large-text = What you sent was too large for us to accept. Please go back and try again.
headers-too-large-title = Request too large
headers-too-large-text = Your browser sent more data than we accept. Clearing this site's cookies usually helps.
not-allowed-title = That request is not allowed
not-allowed-text = This website does not accept that kind of request.
csrf-title = This page was out of date
csrf-text = This page was open for too long or in another tab, so we could not accept it. Please start again.
not-in-roster-title = We couldn't find your membership record
not-in-roster-text = We couldn't find your membership record in the member roster, so we can't set up MFA for this sign-in.
not-in-roster-details = Please contact support (details below). They will check your membership record and help you finish setting up.
no-contact-title = We can't set up MFA for you yet
no-contact-text = Before you set up MFA we send a code to the email address or mobile number on your roster record, and your record has neither.
no-contact-details = Please update your roster information, then sign in again. If you have trouble, contact support (details below).
no-method-title = We can't send you a code
no-method-text = We have no way to send you a code right now. Please contact support to reset your MFA.
proof-required-title = Please confirm it's you first
proof-required-text = Before you set up an authenticator app, we send a code to the email address or mobile number on your roster record. Please start again and enter that code first.
not-found-title = Page not found
not-found-text = We could not find that page.
contact-not-on-file-title = We don't have that contact on file
contact-not-on-file-text = Please choose a different method.
choose-different-method = Choose a different method
already-set-up-title = Set-up already completed
already-set-up-text = MFA is already set up for this account. Please sign in again.
