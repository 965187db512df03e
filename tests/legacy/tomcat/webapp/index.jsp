<%@ page contentType="text/html; charset=UTF-8" session="false" trimDirectiveWhitespaces="true" %>
<%@ include file="/WEB-INF/pages/members.jspf" %>
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Welcome - Lakeside MLS (Tomcat)</title></head>
<body>
<h1>Lakeside MLS</h1>
<% if (request.getRemoteUser() == null) { %>
<p><a href="/home">Sign in</a></p>
<% } else { %>
<p>Signed in as <%= esc(nameOf(request.getRemoteUser())) %>. <a href="/home">Home</a></p>
<% } %>
</body></html>
