"""AWS Rekognition as a face backend (README: Face matching / AWS Rekognition)."""
