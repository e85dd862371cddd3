"""medai.progress: where everyone stands. The progress model (per student, per track, competencies, at risk),
what it is read from (roster, gradebook read only, exchange, homes), the reports (CSV/XLSX/PDF/LMS) and the staff
page. Imports medai.course (and the nbgrader adapter); never medai.grader or medai.hub."""
