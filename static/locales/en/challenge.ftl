# Words of the challenge page (enter your code), the cancelled page and the shared page parts
# (macros.html: code field, resend, cancel, help).
# A deployment may override any message in <static_dir>/locales/en/challenge.ftl.
# Ids ending in -html may hold markup; their arguments are escaped.

## The challenge page

challenge-title = Enter your verification code
challenge-account-html = Signing in as <strong>{ $username }</strong>
# News at the top of the page after a code was sent.
challenge-sent-html = We sent a code to <strong class="destination">{ $destination }</strong>.
challenge-sent-new = We sent a new code.
# After "Resend code" was refused because it was too soon (the wait is shown by the button).
challenge-throttled = We can't send a new code yet.
challenge-intro-app = Open your authenticator app and enter the 6-digit code for { $brand }.
challenge-intro-sent-html = We sent a 6-digit code to <strong class="destination">{ $destination }</strong>.
challenge-intro-sent = { $method ->
        [email] We sent a 6-digit code to your email address.
       *[text] We sent a 6-digit code to your mobile phone.
    }
challenge-intro-enter = { $method ->
        [email] Enter the 6-digit code from the email.
       *[text] Enter the 6-digit code from the text message.
    }
code-good-for = It is good for { $duration }.
verify-button = Verify
try-another-method = Try another method

## Errors, at the top of the page

error-wrong = That code didn't work.
error-wrong-advice-html = Be sure that you have entered the code correctly. If it still does not work, contact <a href="mailto:{ $email }">{ $email }</a>.
error-expired = That code has expired.
error-expired-app = Enter the code your app shows right now: it changes every 30 seconds.
error-expired-sent-html = Codes are good for { $duration }. Choose <strong>{ resend-code }</strong> to get a new one.
error-send-failed-html = We could not send a code to <strong class="destination">{ $destination }</strong> just now. Please try again in a moment, or try another method.
error-send-failed = We could not send your code just now. Please try again in a moment, or try another method.
attempts-left = { $count ->
        [one] You can try 1 more time.
       *[other] You can try { $count } more times.
    }
# Links from the error to the code field.
error-enter-again = Enter the code again
error-enter-new = Enter a new code

## The code field (macros.html)

code-label = 6-digit code
# One line under the code field: the address or number codes come from (FAQ).
code-sender-html = Codes come from <strong>{ $sender }</strong>.

## Resend code (macros.html)

resend-code = Resend code
resend-wait-seconds = { $seconds ->
        [one] You can ask for a new code in 1 second.
       *[other] You can ask for a new code in { $seconds } seconds.
    }
resend-wait-minutes = { $minutes ->
        [one] You can ask for a new code in 1 minute.
       *[other] You can ask for a new code in { $minutes } minutes.
    }

## Cancel (macros.html), per method

cancel-heading-email = Wrong email address?
cancel-heading-text = Wrong mobile number?
cancel-heading-any = Wrong email or phone number?
cancel-text-contact = Cancel and update your roster information, then sign in again.
cancel-heading-app = Don't want to continue?
cancel-text-app = Cancel this sign-in. You can sign in again at any time.
cancel-button = Cancel

## Questions (macros.html): answers from the member FAQ

help-heading = Questions?
help-no-code = I didn't get the code
help-spam = Check your spam or junk email folder.
help-inboxes = In Outlook, check both the Focused and Other inboxes. In Gmail, check the Primary, Promotions and Social tabs.
help-email-sender-html = Codes come from <strong>{ $sender }</strong>. Make sure this address is not blocked.
help-text-sender-html = Texts come from <strong>{ $sender }</strong>. Make sure this number is not blocked or marked as spam.
help-text-unknown = Make sure texts from numbers you don't know are not blocked or marked as spam.
help-resend-html = Choose <strong>{ resend-code }</strong> to send a new code the same way.
help-switch-html = Choose <strong>{ $label }</strong> to get the code a different way.
help-not-working = My code doesn't work
help-check-code = Be sure that you have entered the code correctly. Each code works only once.
help-app-time = Enter the code your app shows right now: it changes every 30 seconds. Your phone should set its date and time automatically.
help-code-ttl = A code is good for { $duration }. After that, ask for a new one.
help-still-html = If it still does not work, contact <a href="mailto:{ $email }">{ $email }</a>.
help-new-phone = New phone, or lost your authenticator app?
help-new-phone-text = Contact { $brand } Support. They will confirm it is you, reset your MFA and help you set it up on your new phone.
help-wrong-contact = My email or phone number is wrong
help-wrong-contact-html = Choose <strong>{ cancel-button }</strong>, then update your roster information. If you have trouble, contact { $brand } Support.
help-wrong-contact-link-html = Choose <strong>{ cancel-button }</strong>, then update your roster information (<a href="{ $url }">how to update it</a>). If you have trouble, contact { $brand } Support.
help-why = Why do I need a code?
help-why-text = { $brand } requires MFA for everyone to protect member data, client information and listing content. Even if someone learns your password, they can't sign in without the code.
help-again = Why am I asked for a code again?
help-again-text = We ask again on a new device or web browser, or when the time you chose is up. If your browser deletes cookies when you close it, it can't remember that you already verified. In the mobile app, close the app instead of signing out.

## The page after Cancel

cancelled-title = Sign-in cancelled
cancelled-text = You did not finish MFA, so you are not signed in.
cancelled-wrong-contact = If your email or phone number was wrong
cancelled-update-first = Update your roster information first. It can take a little while for a change to reach the MFA screen.
cancelled-update-or-contact = Update your roster information first, or contact { $brand } Support (details below) for help. It can take a little while for a change to reach the MFA screen.
cancelled-update-button = Update my roster information
cancelled-then-sign-in = Then sign in again
