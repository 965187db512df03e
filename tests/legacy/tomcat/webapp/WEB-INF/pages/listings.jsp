<%@ page contentType="text/html; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%@ include file="/WEB-INF/pages/members.jspf" %>
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Listings - Lakeside MLS (Tomcat)</title></head>
<body>
<h1>Listings</h1>
<p>Member: <%= esc(nameOf(request.getRemoteUser())) %></p>
<ul><li>12 Lake Rd - 3 bd</li><li>4 Birch Ln - 2 bd</li></ul>
</body></html>
