<%@ page contentType="text/html; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- The container shows this page when j_security_check rejects the user name or password. --%>
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Lakeside MLS (Tomcat)</title></head>
<body>
<h1>Sign in</h1>
<p class="error" role="alert">Wrong username or password.</p>
<form method="post" action="/j_security_check">
<label>Username <input name="j_username" autocomplete="username"></label>
<label>Password <input name="j_password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>
</body></html>
