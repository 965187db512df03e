# Words of the code emails and texts and of the change notices sent to members.
# A deployment may override any message in <static_dir>/locales/en/delivery.ftl; the layout of
# each email and text is a template in <static_dir>/templates/ (see docs/operations.md):
# email_code.txt, email_code.html, text_code.txt, notice_method_changed.txt.

## Lengths of time in emails and texts ($unit: minute or second)

delivery-duration = { $unit ->
        [minute] { $count ->
            [one] 1 minute
           *[other] { $count } minutes
        }
       *[second] { $count ->
            [one] 1 second
           *[other] { $count } seconds
        }
    }

## Every email

email-greeting = Hello,
email-greeting-named = Hello { $name },
email-support-line = { $brand } Support: { $email }, { $phone }
email-support-line-html = { $brand } Support: <a href="mailto:{ $email }">{ $email }</a>, { $phone }
email-support-hours = Hours: { $hours }

## The code email (email_code.txt and email_code.html)

# The subject line. In English, gateway.yaml's email.subject is used instead (its default is
# this same sentence); other languages use this message.
email-code-subject = Your { $brand } verification code
email-code-intro = Your { $brand } MFA code is:
email-code-validity = This code is good for { $duration }. It works only once.
email-code-not-you = If you did not try to sign in to { $brand }, you can ignore this email. Someone may know your password: consider changing it, and contact { $brand } Support.
email-code-do-not-share = Do not share this code with anyone.

## The code text message (text_code.txt)
# Keep it short: one text message holds 160 characters of the GSM alphabet (plain English),
# or 70 characters once any other character (such as ó) is in it.

text-code = { $brand } code: { $code }. Valid { $duration }. Don't share it.

## Change notices (notice_*.txt) ($method: app, email or text)

notice-method-changed-subject = Your { $brand } sign-in verification method was changed
notice-method-changed = Your { $brand } sign-in verification method was changed: you now sign in with { $method ->
        [app] an authenticator app
        [email] codes sent to your email address
       *[text] codes sent by text message to your mobile number
    }.
notice-not-you = If this wasn't you, someone may know your password. Contact { $brand } Support right away.
