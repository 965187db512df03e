# Words of the set-up pages: choose a method, set up an authenticator app, confirm an email
# address or mobile number.
# A deployment may override any message in <static_dir>/locales/en/enroll.ftl.
# Ids ending in -html may hold markup; their arguments are escaped.

## Ways of getting codes (the choice page; also the challenge's "Try another method" buttons)

method-app = Authenticator app
method-app-description = Google Authenticator, Microsoft Authenticator or FreeOTP on your phone.
method-email = Email
method-email-description = We email a 6-digit code to the address on your roster record.
method-text = Text message
method-text-description = We text a 6-digit code to the mobile number on your roster record.

## Lengths of time: $unit is days, hours, minutes or seconds

enroll-duration = { $unit ->
        [days] { $count ->
            [one] 1 day
           *[other] { $count } days
        }
        [hours] { $count ->
            [one] 1 hour
           *[other] { $count } hours
        }
        [minutes] { $count ->
            [one] 1 minute
           *[other] { $count } minutes
        }
       *[seconds] { $count ->
            [one] 1 second
           *[other] { $count } seconds
        }
    }
# A trust period to choose from.
enroll-remember-every = { $unit ->
        [days] { $count ->
            [one] Every day
           *[other] Every { $count } days
        }
        [hours] { $count ->
            [one] Every hour
           *[other] Every { $count } hours
        }
        [minutes] { $count ->
            [one] Every minute
           *[other] Every { $count } minutes
        }
       *[seconds] { $count ->
            [one] Every second
           *[other] Every { $count } seconds
        }
    }

## What MFA is: said once, on the first set-up page a member sees

enroll-intro-what = Multi-Factor Authentication (MFA) protects your { $brand } account. After your password, you enter a one-time code from your phone, your email or an authenticator app. Even if someone learns your password, they can't sign in without that code.
enroll-intro-what-app = Multi-Factor Authentication (MFA) protects your { $brand } account. After your password, you enter a one-time code from an authenticator app on your phone. Even if someone learns your password, they can't sign in without that code.
enroll-intro-required = MFA is required for all { $brand } users. Set it up now to finish signing in.
# The day MFA became required (mfa.enforce_from): $weekday 1 (Monday) to 7, $month 1 to 12.
enroll-intro-required-from = MFA is required for all { $brand } users beginning { $weekday ->
        [1] Monday
        [2] Tuesday
        [3] Wednesday
        [4] Thursday
        [5] Friday
        [6] Saturday
       *[7] Sunday
    }, { $month ->
        [1] January
        [2] February
        [3] March
        [4] April
        [5] May
        [6] June
        [7] July
        [8] August
        [9] September
        [10] October
        [11] November
       *[12] December
    } { $day }, { $year }. Set it up now to finish signing in.

## Shared by the set-up pages

enroll-finish = Finish set-up
enroll-choose-different = Choose a different method
enroll-remember-legend = How often should we ask for a code on this device?
enroll-remember-hint = We only ask again on a new device or web browser, or when this time is up.
enroll-error-no-method = Please choose how you would like to receive your codes.
enroll-error-no-trust-period = Please choose how often we should ask for a code on this device.
enroll-error-wrong-code = That code didn't work. Be sure that you have entered the 6-digit code correctly. { $attempts ->
        [one] You can try 1 more time.
       *[other] You can try { $attempts } more times.
    }
enroll-error-code-expired = That code has expired. Please request a new code.
enroll-error-send-failed = We couldn't send your code right now. Please try again in a moment.
enroll-error-send-failed-choose = We couldn't send your code right now. Please try again in a moment, or choose a different method.
enroll-error-support-html = If it still does not work, contact <a href="mailto:{ $email }">{ $email }</a>.

## Choose a method (enroll_choose.html)

enroll-choose-title = Set up MFA
enroll-setting-up-for-html = Setting up for <strong>{ $user }</strong>
enroll-choose-legend = How would you like to get your codes?
enroll-continue = Continue
enroll-no-methods = We don't have a way to send you codes yet. Please contact { $brand } Support (details below) to finish setting up.
enroll-help-heading = Questions?
enroll-help-which = Which way should I choose?
enroll-help-app-html = <strong>Authenticator app:</strong> a free app on your phone makes the codes, even without signal. Google Authenticator, Microsoft Authenticator and FreeOTP all work.
enroll-help-text-html = <strong>Text message:</strong> we text a code to the mobile number on your roster.
enroll-help-email-html = <strong>Email:</strong> we email a code to the address on your roster.
enroll-help-sent-codes = Codes sent by text or email are good for a few minutes and work only once.
enroll-help-how-often = How often will I be asked for a code?
enroll-help-how-often-text = When you finish setting up, you choose how often we ask on this device. We also ask when you sign in from a new device or web browser.
enroll-help-wrong-contact = My email or phone number is wrong
enroll-help-wrong-contact-html = Choose <strong>Cancel</strong>, then update your roster information. If you have trouble, contact { $brand } Support.
enroll-help-wrong-contact-link-html = Choose <strong>Cancel</strong>, then update your roster information (<a href="{ $url }">how to update it</a>). If you have trouble, contact { $brand } Support.

## Set up an authenticator app (enroll_app.html)

enroll-app-title = Set up your authenticator app
enroll-app-step-get = Get an app
enroll-app-get-text = Install Google Authenticator, Microsoft Authenticator or FreeOTP on your phone. They are free in the App Store (iPhone) and the Google Play Store (Android).
enroll-app-store-links = Links to the app stores
# Read by screen readers after the store's name: which phone and which app the link is for.
enroll-app-store-iphone = (iPhone): { $app }
enroll-app-store-android = (Android): { $app }
enroll-app-step-add = Add { $brand } to the app
enroll-app-open-phone = On this phone? Tap the button: your authenticator app opens and adds { $brand }.
enroll-app-open = Open in authenticator app
enroll-app-scan = In the app, add an account and scan this QR code with your phone's camera.
enroll-app-qr-label = QR code for adding { $brand } to your authenticator app
enroll-app-key-html = <strong>Can't scan? Enter this key</strong> in the app instead. Choose to enter a setup key (time-based) and type:
enroll-app-open-desktop = Using this phone right now?
enroll-app-step-code = Enter the code
enroll-app-code-intro = The app now shows a 6-digit code for { $brand }. Enter it here to finish.
enroll-app-code-again = Enter the code the app shows for { $brand } right now: it changes every 30 seconds.
enroll-app-show-steps = Show the QR code and the key again

## Confirm an email address or mobile number (enroll_contact.html)

enroll-contact-title-email = Confirm your email address
enroll-contact-title-text = Confirm your mobile number
enroll-contact-proof-email = Before you set up an authenticator app, please confirm the email address on your roster record: enter the code we sent there. Then you scan the QR code.
enroll-contact-proof-text = Before you set up an authenticator app, please confirm the mobile number on your roster record: enter the code we sent there. Then you scan the QR code.
enroll-contact-resent = We sent a new code to { $destination }. Only the newest code works.
# $ttl is a length of time (enroll-duration).
enroll-contact-sent-html = We sent a 6-digit code to <strong class="destination">{ $destination }</strong>. It is good for { $ttl }.
enroll-contact-newest-email = Enter the 6-digit code from the newest email. It is good for { $ttl }.
enroll-contact-newest-text = Enter the 6-digit code from the newest text message. It is good for { $ttl }.
enroll-contact-will-send-html = We will send a 6-digit code to <strong class="destination">{ $destination }</strong>.
enroll-send-code = Send code
