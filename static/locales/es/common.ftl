# Palabras en español de las páginas, correos y mensajes de texto para los miembros (Fluent,
# https://projectfluent.org). Una instalación puede reemplazar cualquier mensaje en
# <static_dir>/locales/es/common.ftl. Los ids que terminan en -html pueden llevar marcado.

## Todas las páginas

skip-to-main = Saltar al contenido principal
lang-switch-label = English
support-heading = ¿Necesita ayuda?
support-contact = Comuníquese con el soporte de { $brand }:
support-email-label = Correo
support-phone-label = Teléfono
support-hours-label = Horario

## Siguientes pasos en las páginas de mensajes

sign-in-again = Iniciar sesión de nuevo
try-again = Intentar de nuevo
start-again = Empezar de nuevo
back-to-sign-in = Volver a la página de inicio de sesión
go-to-sign-in = Ir a la página de inicio de sesión
go-to-website = Ir al sitio web
update-roster = Actualizar su información en el registro de miembros

## Páginas de mensajes

expired-title = Inicie sesión de nuevo
expired-text = Su inicio de sesión tardó demasiado, así que lo detuvimos para proteger su cuenta. Inicie sesión de nuevo.
cancelled-again-title = Inicio de sesión cancelado
cancelled-again-text = Este inicio de sesión se canceló, así que no ha iniciado sesión. Inicie sesión de nuevo.
locked-title = La MFA está bloqueada
locked-text = Se ingresaron demasiados códigos incorrectos, así que bloqueamos la MFA de esta cuenta para protegerla.
locked-details = Comuníquese con el soporte (datos abajo). Confirmarán que es usted y desbloquearán su cuenta.
exhausted-title = Demasiados códigos incorrectos
exhausted-text = Por su seguridad, detuvimos este inicio de sesión. Inicie sesión de nuevo con su usuario y contraseña.
slow-down-title = Espere un momento
slow-down-text = Se ingresaron varios códigos incorrectos seguidos. Espere { $minutes ->
        [one] 1 minuto
       *[other] { $minutes } minutos
    } y vuelva a intentarlo.
fail-closed-title = No podemos verificar su inicio de sesión en este momento
fail-closed-text = Nadie puede entrar sin verificación. Vuelva a intentarlo en unos minutos o comuníquese con el soporte.
upstream-down-title = El sitio web no responde
upstream-down-text = El sitio web no responde en este momento. Vuelva a intentarlo en unos minutos.
bad-request-title = Faltaba algo
bad-request-text = No pudimos entender esa solicitud. Regrese e inténtelo de nuevo.
unreadable-title = No pudimos completar su inicio de sesión
unreadable-text = Regrese a la página de inicio de sesión e inténtelo de nuevo.
too-large-title = Eso era demasiado para enviar
too-large-text = Lo que envió era demasiado grande para aceptarlo. Regrese e inténtelo de nuevo.
headers-too-large-title = Solicitud demasiado grande
headers-too-large-text = Su navegador envió más datos de los que aceptamos. Borrar las cookies de este sitio suele resolverlo.
not-allowed-title = Esa solicitud no está permitida
not-allowed-text = Este sitio web no acepta ese tipo de solicitud.
csrf-title = Esta página estaba desactualizada
csrf-text = Esta página estuvo abierta demasiado tiempo o en otra pestaña, así que no pudimos aceptarla. Empiece de nuevo.
not-in-roster-title = No encontramos su registro de miembro
not-in-roster-text = No encontramos su registro en el registro de miembros, así que no podemos configurar la MFA para este inicio de sesión.
not-in-roster-details = Comuníquese con el soporte (datos abajo). Revisarán su registro de miembro y le ayudarán a terminar la configuración.
no-contact-title = Todavía no podemos configurar la MFA para usted
no-contact-text = Antes de configurar la MFA enviamos un código al correo electrónico o al número de celular de su registro de miembro, y su registro no tiene ninguno de los dos.
no-contact-details = Actualice su información en el registro de miembros y vuelva a iniciar sesión. Si tiene problemas, comuníquese con el soporte (datos abajo).
no-method-title = No podemos enviarle un código
no-method-text = En este momento no tenemos forma de enviarle un código. Comuníquese con el soporte para restablecer su MFA.
proof-required-title = Primero confirme que es usted
proof-required-text = Antes de configurar una aplicación de autenticación, enviamos un código al correo electrónico o al número de celular de su registro de miembro. Empiece de nuevo e ingrese primero ese código.
not-found-title = Página no encontrada
not-found-text = No encontramos esa página.
contact-not-on-file-title = No tenemos ese contacto en su registro
contact-not-on-file-text = Elija otro método.
choose-different-method = Elegir otro método
already-set-up-title = La configuración ya está completa
already-set-up-text = La MFA ya está configurada para esta cuenta. Inicie sesión de nuevo.
