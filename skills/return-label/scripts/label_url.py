"""Print the prepaid return-label link for an order: label_url.py ORDER_ID."""
import sys

if len(sys.argv) != 2:
    sys.exit("usage: label_url.py ORDER_ID")
print(f"https://labels.acme.example.com/return/{sys.argv[1]}")
