import MachModel
print("placeholder")
