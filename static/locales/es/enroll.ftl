# Páginas de configuración: elegir un método, configurar una aplicación de autenticación,
# confirmar un correo electrónico o un número de celular.
# Una instalación puede cambiar cualquier mensaje en <static_dir>/locales/es/enroll.ftl.
# Los id que terminan en -html pueden llevar marcado; sus argumentos se escapan.

## Formas de recibir los códigos (página de elección; también "Probar otro método")

method-app = Aplicación de autenticación
method-app-description = Google Authenticator, Microsoft Authenticator o FreeOTP en su celular.
method-email = Correo electrónico
method-email-description = Le enviamos un código de 6 dígitos a la dirección de correo electrónico que figura en su registro de miembro.
method-text = Mensaje de texto
method-text-description = Le enviamos un código de 6 dígitos por mensaje de texto al número de celular que figura en su registro de miembro.

## Lapsos de tiempo: $unit es days, hours, minutes o seconds

enroll-duration = { $unit ->
        [days] { $count ->
            [one] 1 día
           *[other] { $count } días
        }
        [hours] { $count ->
            [one] 1 hora
           *[other] { $count } horas
        }
        [minutes] { $count ->
            [one] 1 minuto
           *[other] { $count } minutos
        }
       *[seconds] { $count ->
            [one] 1 segundo
           *[other] { $count } segundos
        }
    }
# Un período de confianza para elegir.
enroll-remember-every = { $unit ->
        [days] { $count ->
            [one] Todos los días
           *[other] Cada { $count } días
        }
        [hours] { $count ->
            [one] Cada hora
           *[other] Cada { $count } horas
        }
        [minutes] { $count ->
            [one] Cada minuto
           *[other] Cada { $count } minutos
        }
       *[seconds] { $count ->
            [one] Cada segundo
           *[other] Cada { $count } segundos
        }
    }

## Qué es MFA: se dice una vez, en la primera página de configuración que ve el miembro

enroll-intro-what = La autenticación multifactor (MFA) protege su cuenta de { $brand }. Después de su contraseña, usted ingresa un código de un solo uso que recibe en su celular, por correo electrónico o en una aplicación de autenticación. Aunque alguien conozca su contraseña, no podrá iniciar sesión sin ese código.
enroll-intro-what-app = La autenticación multifactor (MFA) protege su cuenta de { $brand }. Después de su contraseña, usted ingresa un código de un solo uso de una aplicación de autenticación en su celular. Aunque alguien conozca su contraseña, no podrá iniciar sesión sin ese código.
enroll-intro-required = { $brand } exige MFA a todos sus usuarios. Configúrela ahora para terminar de iniciar sesión.
# El día desde el que MFA es obligatoria (mfa.enforce_from): $weekday 1 (lunes) a 7, $month 1 a 12.
enroll-intro-required-from = A partir del { $weekday ->
        [1] lunes
        [2] martes
        [3] miércoles
        [4] jueves
        [5] viernes
        [6] sábado
       *[7] domingo
    } { $day } de { $month ->
        [1] enero
        [2] febrero
        [3] marzo
        [4] abril
        [5] mayo
        [6] junio
        [7] julio
        [8] agosto
        [9] septiembre
        [10] octubre
        [11] noviembre
       *[12] diciembre
    } de { $year }, { $brand } exige MFA a todos sus usuarios. Configúrela ahora para terminar de iniciar sesión.

## Comunes a las páginas de configuración

enroll-finish = Terminar la configuración
enroll-choose-different = Elegir otro método
enroll-remember-legend = ¿Con qué frecuencia le pedimos un código en este dispositivo?
enroll-remember-hint = Solo se lo volvemos a pedir en un dispositivo o navegador nuevo, o cuando se cumpla este plazo.
enroll-error-no-method = Por favor, elija cómo desea recibir sus códigos.
enroll-error-no-trust-period = Por favor, elija con qué frecuencia le pedimos un código en este dispositivo.
enroll-error-wrong-code = Ese código no funcionó. Asegúrese de haber ingresado correctamente el código de 6 dígitos. { $attempts ->
        [one] Puede intentarlo 1 vez más.
       *[other] Puede intentarlo { $attempts } veces más.
    }
enroll-error-code-expired = Ese código venció. Por favor, pida un código nuevo.
enroll-error-send-failed = No pudimos enviar su código en este momento. Por favor, vuelva a intentarlo en un momento.
enroll-error-send-failed-choose = No pudimos enviar su código en este momento. Por favor, vuelva a intentarlo en un momento o elija otro método.
enroll-error-support-html = Si sigue sin funcionar, escriba a <a href="mailto:{ $email }">{ $email }</a>.

## Elegir un método (enroll_choose.html)

enroll-choose-title = Configure MFA
enroll-setting-up-for-html = Configuración para <strong>{ $user }</strong>
enroll-choose-legend = ¿Cómo desea recibir sus códigos?
enroll-continue = Continuar
enroll-no-methods = Todavía no tenemos cómo enviarle códigos. Por favor, comuníquese con Soporte de { $brand } (datos abajo) para terminar la configuración.
enroll-help-heading = ¿Preguntas?
enroll-help-which = ¿Qué forma debo elegir?
enroll-help-app-html = <strong>Aplicación de autenticación:</strong> una aplicación gratuita en su celular genera los códigos, aun sin señal. Funcionan Google Authenticator, Microsoft Authenticator y FreeOTP.
enroll-help-text-html = <strong>Mensaje de texto:</strong> le enviamos un código por mensaje de texto al número de celular de su registro de miembro.
enroll-help-email-html = <strong>Correo electrónico:</strong> le enviamos un código a la dirección de correo electrónico de su registro de miembro.
enroll-help-sent-codes = Los códigos enviados por mensaje de texto o por correo electrónico valen por unos minutos y sirven una sola vez.
enroll-help-how-often = ¿Cada cuánto me pedirán un código?
enroll-help-how-often-text = Al terminar la configuración, usted elige cada cuánto se lo pedimos en este dispositivo. También se lo pedimos cuando inicia sesión desde un dispositivo o navegador nuevo.
enroll-help-wrong-contact = Mi correo electrónico o mi número de teléfono están mal
enroll-help-wrong-contact-html = Elija <strong>Cancelar</strong> y luego actualice los datos de su registro de miembro. Si tiene problemas, comuníquese con Soporte de { $brand }.
enroll-help-wrong-contact-link-html = Elija <strong>Cancelar</strong> y luego actualice los datos de su registro de miembro (<a href="{ $url }">cómo actualizarlos</a>). Si tiene problemas, comuníquese con Soporte de { $brand }.

## Configurar una aplicación de autenticación (enroll_app.html)

enroll-app-title = Configure su aplicación de autenticación
enroll-app-step-get = Consiga una aplicación
enroll-app-get-text = Instale Google Authenticator, Microsoft Authenticator o FreeOTP en su celular. Son gratuitas en App Store (iPhone) y en Google Play Store (Android).
enroll-app-store-links = Enlaces a las tiendas de aplicaciones
# Lo leen los lectores de pantalla después del nombre de la tienda: para qué celular y qué aplicación es el enlace.
enroll-app-store-iphone = (iPhone): { $app }
enroll-app-store-android = (Android): { $app }
enroll-app-step-add = Agregue { $brand } a la aplicación
enroll-app-open-phone = ¿Está en este celular? Toque el botón: su aplicación de autenticación se abre y agrega { $brand }.
enroll-app-open = Abrir en la aplicación de autenticación
enroll-app-scan = En la aplicación, agregue una cuenta y escanee este código QR con la cámara de su celular.
enroll-app-qr-label = Código QR para agregar { $brand } a su aplicación de autenticación
enroll-app-key-html = <strong>¿No puede escanearlo? Ingrese esta clave</strong> en la aplicación. Elija ingresar una clave de configuración (basada en el tiempo) y escriba:
enroll-app-open-desktop = ¿Está usando este celular ahora mismo?
enroll-app-step-code = Ingrese el código
enroll-app-code-intro = La aplicación ahora muestra un código de 6 dígitos para { $brand }. Ingréselo aquí para terminar.
enroll-app-code-again = Ingrese el código que la aplicación muestra para { $brand } en este momento: cambia cada 30 segundos.
enroll-app-show-steps = Ver otra vez el código QR y la clave

## Confirmar un correo electrónico o un número de celular (enroll_contact.html)

enroll-contact-title-email = Confirme su correo electrónico
enroll-contact-title-text = Confirme su número de celular
enroll-contact-proof-email = Antes de configurar una aplicación de autenticación, por favor confirme el correo electrónico de su registro de miembro: ingrese el código que le enviamos allí. Después podrá escanear el código QR.
enroll-contact-proof-text = Antes de configurar una aplicación de autenticación, por favor confirme el número de celular de su registro de miembro: ingrese el código que le enviamos allí. Después podrá escanear el código QR.
enroll-contact-resent = Le enviamos un código nuevo a { $destination }. Solo funciona el código más reciente.
# $ttl es un lapso de tiempo (enroll-duration).
enroll-contact-sent-html = Le enviamos un código de 6 dígitos a <strong class="destination">{ $destination }</strong>. Vale por { $ttl }.
enroll-contact-newest-email = Ingrese el código de 6 dígitos del correo electrónico más reciente. Vale por { $ttl }.
enroll-contact-newest-text = Ingrese el código de 6 dígitos del mensaje de texto más reciente. Vale por { $ttl }.
enroll-contact-will-send-html = Le enviaremos un código de 6 dígitos a <strong class="destination">{ $destination }</strong>.
enroll-send-code = Enviar código
