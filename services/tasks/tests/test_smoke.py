def test_create_and_get(client, staff):
    response = client.post("/api/v1/tasks", json={"title": "Hello"}, headers=staff.headers)
    assert response.status_code == 201, response.text
    task = response.json()
    got = client.get(f"/api/v1/tasks/{task['id']}", headers=staff.headers)
    assert got.json()["title"] == "Hello"
    assert client.get("/api/v1/task-templates", headers=staff.headers).json()[0]["name"]
