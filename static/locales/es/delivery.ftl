# Palabras de los correos y mensajes de texto con códigos y de los avisos de cambios enviados a
# los miembros. Una instalación puede reemplazar cualquier mensaje en
# <static_dir>/locales/es/delivery.ftl; la forma de cada correo y mensaje de texto es una
# plantilla en <static_dir>/templates/ (vea docs/operations.md).

## Duraciones en correos y mensajes de texto ($unit: minute o second)

delivery-duration = { $unit ->
        [minute] { $count ->
            [one] 1 minuto
           *[other] { $count } minutos
        }
       *[second] { $count ->
            [one] 1 segundo
           *[other] { $count } segundos
        }
    }

## Todos los correos

email-greeting = Hola:
email-greeting-named = Hola, { $name }:
email-support-line = Soporte de { $brand }: { $email }, { $phone }
email-support-line-html = Soporte de { $brand }: <a href="mailto:{ $email }">{ $email }</a>, { $phone }
email-support-hours = Horario: { $hours }

## El correo con el código (email_code.txt y email_code.html)

# El asunto. En inglés se usa email.subject de gateway.yaml; en español, este mensaje.
email-code-subject = Su código de verificación de { $brand }
email-code-intro = Su código MFA de { $brand } es:
email-code-validity = Este código es válido por { $duration }. Solo se puede usar una vez.
email-code-not-you = Si usted no intentó iniciar sesión en { $brand }, puede ignorar este correo. Es posible que alguien conozca su contraseña: le recomendamos cambiarla y comunicarse con el soporte de { $brand }.
email-code-do-not-share = No comparta este código con nadie.

## El mensaje de texto con el código (text_code.txt)
# Debe ser corto: con "ó" el mensaje se envía en UCS-2 y un solo mensaje admite 70 caracteres
# (160 si todos los caracteres son del alfabeto GSM).

text-code = Código de { $brand }: { $code }. Vence en { $duration }. No lo comparta.

## Avisos de cambios (notice_*.txt) ($method: app, email o text)

notice-method-changed-subject = Se cambió su método de verificación de { $brand }
notice-method-changed = Se cambió su método de verificación para iniciar sesión en { $brand }: ahora inicia sesión con { $method ->
        [app] una aplicación de autenticación
        [email] códigos enviados a su correo electrónico
       *[text] códigos enviados por mensaje de texto a su celular
    }.
notice-not-you = Si no fue usted, es posible que alguien conozca su contraseña. Comuníquese de inmediato con el soporte de { $brand }.
