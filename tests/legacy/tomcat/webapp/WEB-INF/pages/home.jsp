<%@ page contentType="text/html; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%@ include file="/WEB-INF/pages/members.jspf" %>
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Home - Lakeside MLS (Tomcat)</title></head>
<body>
<h1>Welcome back, <%= esc(nameOf(request.getRemoteUser())) %></h1>
<p><a href="/listings">Listings</a> · <a href="/logout">Sign out</a></p>
</body></html>
