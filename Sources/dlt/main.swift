print("dlt")
