"""Progress reports: tidy tables (CSV), a formatted workbook (XLSX), a PDF with plots, LMS grade exports."""
