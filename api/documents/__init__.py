"""Invoice documents: PDF with the giro slip, its bar code and QR code, and Finvoice 3.0 (R-INV-6)."""
