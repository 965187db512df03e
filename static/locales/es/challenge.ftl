# Página de verificación (ingrese su código), página de cancelación y partes compartidas
# (macros.html: campo del código, reenviar, cancelar, ayuda).
# Una instalación puede reemplazar cualquier mensaje en <static_dir>/locales/es/challenge.ftl.
# Los ids que terminan en -html pueden llevar marcado; sus argumentos se escapan.

## Página de verificación

challenge-title = Ingrese su código de verificación
challenge-account-html = Iniciando sesión como <strong>{ $username }</strong>
challenge-sent-html = Enviamos un código a <strong class="destination">{ $destination }</strong>.
challenge-sent-new = Enviamos un código nuevo.
challenge-throttled = Todavía no podemos enviar un código nuevo.
challenge-intro-app = Abra su aplicación de autenticación e ingrese el código de 6 dígitos de { $brand }.
challenge-intro-sent-html = Enviamos un código de 6 dígitos a <strong class="destination">{ $destination }</strong>.
challenge-intro-sent = { $method ->
        [email] Enviamos un código de 6 dígitos a su correo electrónico.
       *[text] Enviamos un código de 6 dígitos a su celular.
    }
challenge-intro-enter = { $method ->
        [email] Ingrese el código de 6 dígitos del correo electrónico.
       *[text] Ingrese el código de 6 dígitos del mensaje de texto.
    }
code-good-for = Es válido por { $duration }.
verify-button = Verificar
try-another-method = Probar otro método

## Errores, arriba en la página

error-wrong = Ese código no funcionó.
error-wrong-advice-html = Asegúrese de haber ingresado el código correctamente. Si aún no funciona, escriba a <a href="mailto:{ $email }">{ $email }</a>.
error-expired = Ese código venció.
error-expired-app = Ingrese el código que su aplicación muestra ahora: cambia cada 30 segundos.
error-expired-sent-html = Los códigos son válidos por { $duration }. Elija <strong>{ resend-code }</strong> para recibir uno nuevo.
error-send-failed-html = No pudimos enviar un código a <strong class="destination">{ $destination }</strong> en este momento. Vuelva a intentarlo en un momento o pruebe otro método.
error-send-failed = No pudimos enviar su código en este momento. Vuelva a intentarlo en un momento o pruebe otro método.
attempts-left = { $count ->
        [one] Puede intentarlo 1 vez más.
       *[other] Puede intentarlo { $count } veces más.
    }
error-enter-again = Volver a ingresar el código
error-enter-new = Ingresar un código nuevo

## Campo del código (macros.html)

code-label = Código de 6 dígitos
code-sender-html = Los códigos llegan desde <strong>{ $sender }</strong>.

## Reenviar código (macros.html)

resend-code = Reenviar código
resend-wait-seconds = { $seconds ->
        [one] Podrá pedir un código nuevo en 1 segundo.
       *[other] Podrá pedir un código nuevo en { $seconds } segundos.
    }
resend-wait-minutes = { $minutes ->
        [one] Podrá pedir un código nuevo en 1 minuto.
       *[other] Podrá pedir un código nuevo en { $minutes } minutos.
    }

## Cancelar (macros.html), según el método

cancel-heading-email = ¿Su correo electrónico está mal?
cancel-heading-text = ¿Su número de celular está mal?
cancel-heading-any = ¿Su correo electrónico o su número de teléfono están mal?
cancel-text-contact = Cancele y actualice su información en el registro de miembros; luego vuelva a iniciar sesión.
cancel-heading-app = ¿No desea continuar?
cancel-text-app = Cancele este inicio de sesión. Puede volver a iniciar sesión cuando quiera.
cancel-button = Cancelar

## Preguntas (macros.html): respuestas de las preguntas frecuentes para miembros

help-heading = ¿Preguntas?
help-no-code = No recibí el código
help-spam = Revise su carpeta de correo no deseado (spam).
help-inboxes = En Outlook, revise las bandejas Prioritarios y Otros. En Gmail, revise las pestañas Principal, Promociones y Social.
help-email-sender-html = Los códigos llegan desde <strong>{ $sender }</strong>. Asegúrese de no tener bloqueada esta dirección.
help-text-sender-html = Los mensajes de texto llegan desde el número <strong>{ $sender }</strong>. Asegúrese de que este número no esté bloqueado ni marcado como spam.
help-text-unknown = Asegúrese de que los mensajes de texto de números desconocidos no estén bloqueados ni marcados como spam.
help-resend-html = Elija <strong>{ resend-code }</strong> para recibir un código nuevo de la misma forma.
help-switch-html = Elija <strong>{ $label }</strong> para recibir el código de otra forma.
help-not-working = Mi código no funciona
help-check-code = Asegúrese de haber ingresado el código correctamente. Cada código funciona una sola vez.
help-app-time = Ingrese el código que su aplicación muestra ahora: cambia cada 30 segundos. Su teléfono debe ajustar la fecha y la hora automáticamente.
help-code-ttl = Un código es válido por { $duration }. Después, pida uno nuevo.
help-still-html = Si aún no funciona, escriba a <a href="mailto:{ $email }">{ $email }</a>.
help-new-phone = ¿Tiene un teléfono nuevo o perdió su aplicación de autenticación?
help-new-phone-text = Comuníquese con el soporte de { $brand }. Confirmarán que es usted, restablecerán su MFA y le ayudarán a configurarla en su teléfono nuevo.
help-wrong-contact = Mi correo electrónico o mi número de teléfono están mal
help-wrong-contact-html = Elija <strong>{ cancel-button }</strong> y luego actualice su información en el registro de miembros. Si tiene problemas, comuníquese con el soporte de { $brand }.
help-wrong-contact-link-html = Elija <strong>{ cancel-button }</strong> y luego actualice su información en el registro de miembros (<a href="{ $url }">cómo actualizarla</a>). Si tiene problemas, comuníquese con el soporte de { $brand }.
help-why = ¿Por qué necesito un código?
help-why-text = { $brand } exige la MFA a todos para proteger los datos de los miembros, la información de los clientes y el contenido de los listados. Aunque alguien conozca su contraseña, no podrá iniciar sesión sin el código.
help-again = ¿Por qué me piden un código otra vez?
help-again-text = Volvemos a pedirlo en un dispositivo o navegador nuevo, o cuando termina el plazo que eligió. Si su navegador borra las cookies al cerrarse, no puede recordar que usted ya se verificó. En la aplicación móvil, cierre la aplicación en lugar de cerrar sesión.

## Página después de Cancelar

cancelled-title = Inicio de sesión cancelado
cancelled-text = No terminó la MFA, así que no ha iniciado sesión.
cancelled-wrong-contact = Si su correo electrónico o número de teléfono estaba mal
cancelled-update-first = Primero actualice su información en el registro de miembros. Un cambio puede tardar un poco en aparecer en la pantalla de MFA.
cancelled-update-or-contact = Primero actualice su información en el registro de miembros, o comuníquese con el soporte de { $brand } (datos abajo) para recibir ayuda. Un cambio puede tardar un poco en aparecer en la pantalla de MFA.
cancelled-update-button = Actualizar mi información en el registro
cancelled-then-sign-in = Luego vuelva a iniciar sesión
