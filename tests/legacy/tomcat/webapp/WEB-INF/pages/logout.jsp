<%@ page session="false" trimDirectiveWhitespaces="true" %><%
    HttpSession current = request.getSession(false);
    if (current != null) {
        current.invalidate();
    }
    response.sendRedirect("/");
%>
