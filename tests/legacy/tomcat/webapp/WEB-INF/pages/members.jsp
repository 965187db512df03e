<%@ page contentType="text/html; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%@ include file="/WEB-INF/pages/members.jspf" %>
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Members - Lakeside MLS (Tomcat)</title></head>
<body>
<h1>Members' area</h1>
<p>Member: <%= esc(nameOf(request.getRemoteUser())) %></p>
<p>Page: <%= esc(String.valueOf(request.getPathInfo())) %></p>
</body></html>
